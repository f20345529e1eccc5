import Testing
@Test func CNICoreTestsPlaceholder() {}
