// portmap: the executable; all logic lives in PortmapPlugin.
import CNIPlugin
import PortmapPlugin

Skeleton.main(PortmapPlugin())
