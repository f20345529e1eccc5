// BackgroundWork: runs one blocking step on its own thread so a plugin can overlap independent work.
import Glibc

/// Trampoline for pthread_create: takes back the retained BackgroundWork and runs it.
private func backgroundWorkEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<BackgroundWork>.fromOpaque(raw!).takeRetainedValue().runBody()
    return nil
}

/// A body run on a new pthread, joined by `wait()`. The thread starts in the creating thread's
/// network namespace; sockets already bound to a namespace keep working from it.
public final class BackgroundWork: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () throws -> Void
    private var failure: (any Error)?
    private var ran = false
    private var started = false

    /// Starts `body` now; if no thread can be started, runs it at `wait()` instead.
    public init(_ body: @escaping () throws -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        if pthread_create(&thread, nil, backgroundWorkEntry, context) == 0 {
            started = true
        } else {
            Unmanaged<BackgroundWork>.fromOpaque(context).release()
        }
    }

    fileprivate func runBody() {
        do { try body() } catch { failure = error }
        ran = true
    }

    /// Waits for the body and rethrows its error.
    public func wait() throws {
        if started {
            pthread_join(thread, nil)
            started = false
        }
        if !ran { runBody() }
        if let failure { throw failure }
    }

    deinit { if started { pthread_join(thread, nil) } }
}
