// loopback: the executable; all logic lives in LoopbackPlugin.
import CNIPlugin
import LoopbackPlugin

Skeleton.main(LoopbackPlugin())
