// BackgroundWorkTests: a body runs on another thread, its error comes back at wait(), and waiting twice is fine.
import CNISystem
import Glibc
import Testing

final class Box: @unchecked Sendable { var value = 0; var thread: pthread_t = pthread_t() }

@Suite struct BackgroundWorkTests {
    @Test func runsOnAnotherThreadAndJoins() throws {
        let box = Box()
        let caller = pthread_self()
        let work = BackgroundWork { box.value = 42; box.thread = pthread_self() }
        try work.wait()
        #expect(box.value == 42)
        #expect(pthread_equal(box.thread, caller) == 0)
        try work.wait()
    }

    @Test func rethrowsTheBodysError() {
        struct Boom: Error {}
        let work = BackgroundWork { throw Boom() }
        #expect(throws: Boom.self) { try work.wait() }
    }

    @Test func overlapsWithTheCaller() throws {
        let box = Box()
        let work = BackgroundWork { usleep(50_000); box.value = 1 }
        #expect(box.value == 0, "the caller goes on while the body sleeps")
        try work.wait()
        #expect(box.value == 1)
    }
}
