import Testing
@Test func CNINetlinkTestsPlaceholder() {}
