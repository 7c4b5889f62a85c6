using System.Net;
using System.Net.Sockets;

namespace DashAI.Functions.Datasets;

/// <summary>Decides which addresses a dataset URL may connect to (checked on the resolved address of every connection).</summary>
public interface IUrlAddressPolicy
{
    bool IsAllowed(IPAddress address, int port);
}

/// <summary>
/// Public unicast addresses only: refuses loopback, private, shared (CGNAT), link-local (which includes the
/// 169.254.169.254 metadata endpoint), unique-local, multicast, unspecified and reserved ranges, the Azure
/// platform endpoint 168.63.129.16 and other clouds' metadata addresses, and IPv4 hidden in IPv6 forms.
/// </summary>
public sealed class PublicAddressPolicy : IUrlAddressPolicy
{
    private static readonly (IPAddress Network, int Bits)[] BlockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),
        (IPAddress.Parse("10.0.0.0"), 8),
        (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8),
        (IPAddress.Parse("169.254.0.0"), 16),
        (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24),
        (IPAddress.Parse("192.0.2.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16),
        (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("198.51.100.0"), 24),
        (IPAddress.Parse("203.0.113.0"), 24),
        (IPAddress.Parse("224.0.0.0"), 4),
        (IPAddress.Parse("240.0.0.0"), 4),
        (IPAddress.Parse("168.63.129.16"), 32),
        (IPAddress.Parse("100.100.100.200"), 32),
    ];

    private static readonly (IPAddress Network, int Bits)[] BlockedV6 =
    [
        (IPAddress.Parse("::"), 128),
        (IPAddress.Parse("::1"), 128),
        (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10),
        (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
        (IPAddress.Parse("2001:db8::"), 32),
        (IPAddress.Parse("100::"), 64),
        (IPAddress.Parse("fd00:ec2::254"), 128),
    ];

    public bool IsAllowed(IPAddress address, int port) => IsPublic(address);

    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublic(address.MapToIPv4());
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();

            // 6to4 (2002::/16) and NAT64 (64:ff9b::/96) embed an IPv4 address that must pass on its own.
            if (bytes[0] == 0x20 && bytes[1] == 0x02)
            {
                return IsPublic(new IPAddress(bytes[2..6]));
            }

            if (InRange(address, IPAddress.Parse("64:ff9b::"), 96))
            {
                return IsPublic(new IPAddress(bytes[12..16]));
            }

            return !BlockedV6.Any(b => InRange(address, b.Network, b.Bits));
        }

        return address.AddressFamily == AddressFamily.InterNetwork && !BlockedV4.Any(b => InRange(address, b.Network, b.Bits));
    }

    private static bool InRange(IPAddress address, IPAddress network, int bits)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (n[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
