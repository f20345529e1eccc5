import Testing
@Test func CNIIPAMTestsPlaceholder() {}
