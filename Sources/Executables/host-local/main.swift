// host-local: the executable; all logic lives in HostLocalPlugin.
import CNIPlugin
import HostLocalPlugin

Skeleton.main(HostLocalPlugin())
