package fingerprint

import (
	"fmt"
	"net"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// defaultMBits is the bandwidth advertised for the host network; orch does
// not schedule on bandwidth, Nomad's tooling only expects a value.
const defaultMBits = 1000

func detectNetwork(cfg Config, res *Result, logger hclog.Logger) error {
	iface, ip, err := pickAddress(cfg, logger)
	if err != nil {
		return err
	}
	res.Attributes["unique.network.ip-address"] = ip.String()
	bits := 32
	if ip.To4() == nil {
		bits = 128
	}
	res.Resources.Networks = []*structs.NetworkResource{{
		Mode:   "host",
		Device: iface,
		IP:     ip.String(),
		CIDR:   fmt.Sprintf("%s/%d", ip, bits),
		MBits:  defaultMBits,
	}}
	return nil
}

// pickAddress chooses the address the node advertises: loopback in dev
// mode, else the configured interface, else the default route's interface,
// else the first interface that is up and not loopback.
func pickAddress(cfg Config, logger hclog.Logger) (string, net.IP, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", nil, fmt.Errorf("list interfaces: %w", err)
	}
	if cfg.DevMode {
		name := "lo"
		for _, i := range ifaces {
			if i.Flags&net.FlagLoopback != 0 {
				name = i.Name
				break
			}
		}
		return name, net.IPv4(127, 0, 0, 1).To4(), nil
	}
	if cfg.NetworkInterface != "" {
		i, err := net.InterfaceByName(cfg.NetworkInterface)
		if err != nil {
			return "", nil, fmt.Errorf("network_interface %q: %w", cfg.NetworkInterface, err)
		}
		ip := interfaceIP(*i)
		if ip == nil {
			return "", nil, fmt.Errorf("network_interface %q has no IP address", cfg.NetworkInterface)
		}
		return i.Name, ip, nil
	}
	if routes, err := os.ReadFile(cfg.path("proc", "net", "route")); err == nil {
		if name := defaultRouteInterface(string(routes)); name != "" {
			if i, err := net.InterfaceByName(name); err == nil {
				if ip := interfaceIP(*i); ip != nil {
					return i.Name, ip, nil
				}
			}
		}
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		if ip := interfaceIP(i); ip != nil {
			return i.Name, ip, nil
		}
	}
	logger.Warn("no usable network interface found, advertising loopback")
	return "lo", net.IPv4(127, 0, 0, 1).To4(), nil
}

// interfaceIP returns the interface's first global IPv4 address, else its
// first global IPv6 address.
func interfaceIP(i net.Interface) net.IP {
	addrs, err := i.Addrs()
	if err != nil {
		return nil
	}
	var v6 net.IP
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok || ipnet.IP.IsLinkLocalUnicast() {
			continue
		}
		if v4 := ipnet.IP.To4(); v4 != nil {
			return v4
		}
		if v6 == nil {
			v6 = ipnet.IP
		}
	}
	return v6
}
