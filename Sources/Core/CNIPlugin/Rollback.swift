// Rollback: undo actions registered by each side effect of an ADD, run in reverse unless committed.

/// Collects undo actions; `unwind()` runs them newest first, continuing past failures.
public struct Rollback: ~Copyable {
    private var actions: [() throws -> Void] = []
    private var committed = false

    public init() {}

    /// Registers the undo of a side effect that just succeeded.
    public mutating func add(_ undo: @escaping () throws -> Void) { actions.append(undo) }

    /// The ADD succeeded: keep everything.
    public mutating func commit() { committed = true }

    /// Runs every undo (newest first) unless committed; returns the errors it met.
    @discardableResult
    public mutating func unwind() -> [any Error] {
        if committed { return [] }
        var errors: [any Error] = []
        for undo in actions.reversed() {
            do { try undo() } catch { errors.append(error) }
        }
        actions.removeAll()
        committed = true
        return errors
    }

    deinit {
        if !committed { for undo in actions.reversed() { try? undo() } }
    }
}
