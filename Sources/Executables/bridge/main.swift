// bridge: the executable; all logic lives in BridgePlugin.
import BridgePlugin
import CNIPlugin

Skeleton.main(BridgePlugin())
