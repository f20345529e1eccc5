// SystemError+CNI: lets system errors flow into CNI errors.
import CNISystem

extension SystemError: SystemErrorDescribing {}
