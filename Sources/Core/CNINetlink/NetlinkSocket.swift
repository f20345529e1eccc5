// CNINetlink: links, addresses and routes through libnl (placeholder).
internal import CNetlink
