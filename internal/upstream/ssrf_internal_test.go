package upstream

import (
	"errors"
	"net/netip"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	t.Parallel()
	public := []string{"93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001:81c::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"}
	blocked := []string{
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254",
		"100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "240.0.0.1",
		"192.0.2.1", "198.18.0.1", "::", "::1", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
		"2001:db8::1", "2002:7f00:1::1", "2001::1",
	}
	for _, s := range public {
		if !isPublicAddr(netip.MustParseAddr(s)) {
			t.Errorf("%s refused; it is public", s)
		}
	}
	for _, s := range blocked {
		if isPublicAddr(netip.MustParseAddr(s)) {
			t.Errorf("%s allowed; it must be refused", s)
		}
	}
	if isPublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is allowed")
	}
}

func TestGuardControl(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"93.184.215.14:443": true, "[2606:4700::1111]:443": true,
		"127.0.0.1:443": false, "[::ffff:127.0.0.1]:443": false, "[fe80::1%lo]:443": false, "garbage": false,
	} {
		err := guardControl("tcp", addr, nil)
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrBlockedAddress)) {
			t.Errorf("guardControl(%s) = %v; want ok=%v", addr, err, ok)
		}
	}
}
