// swift-tools-version:6.0
// The Swift CNI plugin suite: one shared core, one thin executable per CNI `type`.
import PackageDescription

let package = Package(
    name: "swift-cni",
    products: [
        .executable(name: "host-local", targets: ["host-local"]),
        .executable(name: "loopback", targets: ["loopback"]),
        .executable(name: "bridge", targets: ["bridge"]),
        .executable(name: "macvlan", targets: ["macvlan"]),
        .executable(name: "portmap", targets: ["portmap"]),
    ],
    targets: [
        // C bridges: only the matching Swift module imports each of these.
        .systemLibrary(name: "CNetlink", path: "Sources/C/CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        .systemLibrary(name: "CJansson", path: "Sources/C/CJansson", pkgConfig: "jansson",
                       providers: [.apt(["libjansson-dev"])]),
        .target(name: "CCNIShims", path: "Sources/C/CCNIShims"),

        // Core libraries, in dependency order.
        .target(name: "CNIJSON", dependencies: ["CJansson"], path: "Sources/Core/CNIJSON"),
        .target(name: "CNISystem", dependencies: ["CCNIShims"], path: "Sources/Core/CNISystem"),
        .target(name: "CNISpec", dependencies: ["CNIJSON", "CNISystem"], path: "Sources/Core/CNISpec"),
        .target(name: "CNINamespace", dependencies: ["CNISpec", "CNISystem", "CCNIShims"],
                path: "Sources/Core/CNINamespace", exclude: ["README.md"]),
        .target(name: "CNINetlink", dependencies: ["CNetlink", "CNISpec", "CNISystem", "CNINamespace"],
                path: "Sources/Core/CNINetlink", exclude: ["README.md"]),
        .target(name: "CNIFirewall", dependencies: ["CNISpec", "CNISystem", "CNIJSON", "CNINetlink"], path: "Sources/Core/CNIFirewall"),
        .target(name: "CNIPlugin", dependencies: ["CNIJSON", "CNISpec", "CNISystem"],
                path: "Sources/Core/CNIPlugin"),
        .target(name: "CNIIPAM", dependencies: ["CNIJSON", "CNISpec", "CNISystem", "CNIPlugin"],
                path: "Sources/Core/CNIIPAM"),

        // Plugin logic.
        .target(name: "HostLocalPlugin", dependencies: ["CNIIPAM", "CNIPlugin", "CNISpec", "CNIJSON", "CNISystem"],
                path: "Sources/Plugins/ipam/HostLocal", exclude: ["README.md"]),
        .target(name: "LoopbackPlugin",
                dependencies: ["CNIPlugin", "CNISpec", "CNIJSON", "CNINamespace", "CNINetlink"],
                path: "Sources/Plugins/main/Loopback", exclude: ["README.md"]),

        .target(name: "BridgePlugin",
                dependencies: ["CNIPlugin", "CNISpec", "CNIJSON", "CNISystem", "CNINamespace", "CNINetlink",
                               "CNIIPAM", "CNIFirewall"],
                path: "Sources/Plugins/main/Bridge", exclude: ["README.md"]),
        .target(name: "MacvlanPlugin",
                dependencies: ["CNIPlugin", "CNISpec", "CNIJSON", "CNINamespace", "CNINetlink", "CNIIPAM", "CNISystem"],
                path: "Sources/Plugins/main/Macvlan", exclude: ["README.md"]),
        .target(name: "PortmapPlugin",
                dependencies: ["CNIPlugin", "CNISpec", "CNIJSON", "CNISystem", "CNINetlink", "CNIFirewall"],
                path: "Sources/Plugins/meta/Portmap", exclude: ["README.md"]),

        // Executables, named exactly as their CNI type.
        .executableTarget(name: "host-local", dependencies: ["HostLocalPlugin"],
                          path: "Sources/Executables/host-local"),
        .executableTarget(name: "loopback", dependencies: ["LoopbackPlugin"],
                          path: "Sources/Executables/loopback"),

        .executableTarget(name: "bridge", dependencies: ["BridgePlugin"], path: "Sources/Executables/bridge"),
        .executableTarget(name: "macvlan", dependencies: ["MacvlanPlugin"], path: "Sources/Executables/macvlan"),
        .executableTarget(name: "portmap", dependencies: ["PortmapPlugin"], path: "Sources/Executables/portmap"),

        // Test support and tests.
        .target(name: "CNITesting", dependencies: ["CNISpec", "CNIJSON", "CNISystem", "CNINamespace", "CNINetlink",
                                                  "CNIPlugin", "CNIIPAM", "CNIFirewall"],
                path: "Sources/Testing/CNITesting"),
        .testTarget(name: "CNICoreTests",
                    dependencies: ["CNIJSON", "CNISpec", "CNISystem", "CNIPlugin", "CNITesting"],
                    path: "Tests/CNICoreTests"),
        .testTarget(name: "CNIFirewallTests", dependencies: ["CNIFirewall", "CNISpec", "CNINamespace", "CNITesting"],
                    path: "Tests/CNIFirewallTests"),
        .testTarget(name: "CNIIPAMTests",
                    dependencies: ["CNIIPAM", "HostLocalPlugin", "CNISpec", "CNIJSON", "CNITesting", "CNIPlugin"],
                    path: "Tests/CNIIPAMTests"),
        .testTarget(name: "CNINetlinkTests",
                    dependencies: ["CNINetlink", "CNINamespace", "LoopbackPlugin", "CNISpec", "CNITesting", "CNIPlugin", "CNIJSON", "CNISystem"],
                    path: "Tests/CNINetlinkTests"),
        .testTarget(name: "BridgeTests",
                    dependencies: ["BridgePlugin", "CNITesting", "CNISpec", "CNIJSON", "CNIPlugin", "CNINetlink",
                                   "CNIFirewall", "CNIIPAM"],
                    path: "Tests/BridgeTests"),
        .testTarget(name: "MacvlanTests",
                    dependencies: ["MacvlanPlugin", "CNITesting", "CNISpec", "CNIJSON", "CNIPlugin", "CNINetlink",
                                   "CNINamespace", "CNIIPAM"],
                    path: "Tests/MacvlanTests"),
        .testTarget(name: "PortmapTests",
                    dependencies: ["PortmapPlugin", "CNITesting", "CNISpec", "CNIJSON", "CNIPlugin", "CNINetlink",
                                   "CNIFirewall"],
                    path: "Tests/PortmapTests"),
    ],
    swiftLanguageModes: [.v6]
)
