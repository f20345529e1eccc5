// CNINamespace: network namespaces (placeholder until the namespace module lands).
