// The `macvlan` executable: the whole protocol lives in the skeleton.
import CNIPlugin
import MacvlanPlugin

Skeleton.main(MacvlanPlugin())
