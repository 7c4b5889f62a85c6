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
/// platform endpoint 168.63.129.16 and other clouds' metadata addresses, and every IPv6 form that embeds an
/// IPv4 address.
/// </summary>
/// <remarks>
/// The IPv6 forms that carry an IPv4 address (IPv4-compatible, IPv4-mapped, IPv4-translated, 6to4, NAT64 and
/// Teredo) are refused whatever they embed rather than judged by the embedded address: they are transition
/// mechanisms no dataset host needs, where the embedded address sits is not fixed for every form (a local NAT64
/// prefix places it by the operator's prefix length; Teredo hides the client's address under an XOR), and a rule
/// that never decodes cannot decode wrongly. A public host reached through them has a native address to use.
/// </remarks>
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
        (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10),
        (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
        (IPAddress.Parse("2001:db8::"), 32),
        (IPAddress.Parse("100::"), 64),
        (IPAddress.Parse("fd00:ec2::254"), 128),

        // IPv4-compatible ::a.b.c.d; also holds the unspecified :: and the loopback ::1.
        (IPAddress.Parse("::"), 96),

        // IPv4-mapped ::ffff:a.b.c.d.
        (IPAddress.Parse("::ffff:0:0"), 96),

        // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
        (IPAddress.Parse("::ffff:0:0:0"), 96),

        // 6to4: 2002:aabb:ccdd::/48 routes to a.b.c.d.
        (IPAddress.Parse("2002::"), 16),

        // NAT64, the well-known prefix and the local-use one.
        (IPAddress.Parse("64:ff9b::"), 96),
        (IPAddress.Parse("64:ff9b:1::"), 48),

        // Teredo.
        (IPAddress.Parse("2001::"), 32),
    ];

    public bool IsAllowed(IPAddress address, int port) => IsPublic(address);

    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => !BlockedV4.Any(b => InRange(address, b.Network, b.Bits)),
            AddressFamily.InterNetworkV6 => !BlockedV6.Any(b => InRange(address, b.Network, b.Bits)),
            _ => false,
        };
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
