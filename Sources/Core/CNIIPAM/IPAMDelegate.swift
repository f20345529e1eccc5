// IPAMDelegate: how a main plugin reaches its IPAM plugin, behind a protocol so tests can fake it.
import CNIPlugin
import CNISpec

/// The IPAM verbs a main plugin needs. The real one execs `ipam.type`; tests use a fake.
public protocol IPAMDelegate {
    func add(_ request: Request) throws(CNIError) -> CNIResult
    func del(_ request: Request) throws(CNIError)
    func check(_ request: Request) throws(CNIError)
    func status(_ request: Request) throws(CNIError)
    func gc(_ request: Request) throws(CNIError)
}
