using System.Net;
using System.Text;
using DashAI.Functions.Datasets;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Tests.Datasets;

/// <summary>
/// Dataset upload by URL against a local HTTP server. Loopback is a refused address class, so the app under test
/// gets a policy that allows exactly that server's port on loopback and defers to the production policy for
/// everything else; the other tests use the production policy unchanged.
/// </summary>
public sealed class UrlUploadTests : IAsyncLifetime
{
    private WebApplication _server = null!;
    private WebApplication _forbidden = null!;
    private int _forbiddenHits;
    private TestApp _app = null!;
    private TestApp _strict = null!;

    public string ServerUrl { get; private set; } = "";

    public string ForbiddenUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var iris = Uploads.SharedFile("iris.csv");
        _forbidden = await StartServer(app => app.MapGet("/iris.csv", () =>
        {
            Interlocked.Increment(ref _forbiddenHits);
            return Results.Bytes(iris, "text/csv");
        }));
        ForbiddenUrl = Url(_forbidden);
        _server = await StartServer(app =>
        {
            app.MapGet("/iris.csv", () => Results.Bytes(iris, "text/csv"));
            app.MapGet("/redirect-ok", () => Results.Redirect("/iris.csv"));
            app.MapGet("/redirect-loopback", () => Results.Redirect($"{ForbiddenUrl}/iris.csv"));
            app.MapGet("/redirect-metadata", () => Results.Redirect("http://169.254.169.254/latest/meta-data/"));
            app.MapGet("/redirect-loop", () => Results.Redirect("/redirect-loop"));
            app.MapGet("/big.csv", (HttpContext context) =>
            {
                context.Response.ContentLength = 10_000_000;
                return context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes("a,b\n")).AsTask();
            });
            app.MapGet("/unbounded.csv", async (HttpContext context) =>
            {
                var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1,x\n", 16_384)));
                await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes("a,b\n"));
                for (var i = 0; i < 200 && !context.RequestAborted.IsCancellationRequested; i++)
                {
                    await context.Response.Body.WriteAsync(chunk);
                }
            });
            app.MapGet("/slow.csv", async (HttpContext context) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
                return Results.Text("a,b\n1,x\n");
            });
            app.MapGet("/missing.csv", () => Results.NotFound());
        });
        ServerUrl = Url(_server);
        var port = new Uri(ServerUrl).Port;
        var settings = new Dictionary<string, string?> { ["DashAI:Datasets:MaxUploadBytes"] = "1000000", ["DashAI:Datasets:UrlTimeoutSeconds"] = "2" };
        _app = TestApp.Create(s => s.AddSingleton<IUrlAddressPolicy>(new LoopbackPortPolicy(port)), settings);
        _strict = TestApp.Create(settings: settings);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _strict.DisposeAsync();
        await _server.DisposeAsync();
        await _forbidden.DisposeAsync();
    }

    private static async Task<WebApplication> StartServer(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static string Url(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    private static async Task<TestResponse> UploadUrl(TestApp app, string url, string name = "from-url") =>
        await app.Invoke(await Uploads.Request(app, Uploads.Params(name), url: url), app.Function<DatasetUploadFunction>().Create);

    [Fact]
    public async Task AnAllowedUrlIsDownloadedHashedAndIngested()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/iris.csv");

        response.AssertStatus(201);
        Assert.Equal(150, response.Json["rows"]!.GetValue<long>());
        Assert.Equal("iris.csv", response.Json["file_name"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Uploads.SharedFile("iris.csv"))), response.Json["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARedirectToAnAllowedAddressIsFollowed()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/redirect-ok");
        response.AssertStatus(201);
    }

    [Fact]
    public async Task ARedirectToALoopbackAddressIsRefusedBeforeConnecting()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/redirect-loopback");

        response.AssertProblem(400, "127.0.0.1");
        Assert.Equal(0, _forbiddenHits);
        Assert.Empty(await _app.Stores.Datasets.ListAsync(null, default));
    }

    [Fact]
    public async Task ARedirectToTheMetadataEndpointIsRefused()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/redirect-metadata");
        response.AssertProblem(400, "169.254.169.254");
    }

    [Fact]
    public async Task EndlessRedirectsAreRefused()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/redirect-loop");
        response.AssertProblem(400, "redirected more than");
    }

    [Fact]
    public async Task TheProductionPolicyRefusesTheLoopbackServerItself()
    {
        var response = await UploadUrl(_strict, $"{ForbiddenUrl}/iris.csv");
        response.AssertProblem(400, "127.0.0.1");
        Assert.Equal(0, _forbiddenHits);
    }

    [Theory]
    [InlineData("http://localhost:1/data.csv", "localhost")]
    [InlineData("http://127.0.0.1:1/data.csv", "127.0.0.1")]
    [InlineData("http://10.1.2.3/data.csv", "10.1.2.3")]
    [InlineData("http://172.16.5.4/data.csv", "172.16.5.4")]
    [InlineData("http://192.168.0.10/data.csv", "192.168.0.10")]
    [InlineData("http://100.64.0.1/data.csv", "100.64.0.1")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    [InlineData("http://168.63.129.16/metadata", "168.63.129.16")]
    [InlineData("http://0.0.0.0/data.csv", "0.0.0.0")]
    [InlineData("http://[::1]/data.csv", "::1")]
    [InlineData("http://[fe80::1]/data.csv", "fe80::1")]
    [InlineData("http://[fd00::5]/data.csv", "fd00::5")]
    [InlineData("http://[::ffff:10.0.0.1]/data.csv", "10.0.0.1")]
    public async Task EveryRefusedAddressClassIsABadRequest(string url, string mentions)
    {
        var response = await UploadUrl(_strict, url);
        response.AssertProblem(400, mentions);
        Assert.Empty(await _strict.Stores.Datasets.ListAsync(null, default));
    }

    [Theory]
    [InlineData("ftp://example.org/data.csv")]
    [InlineData("file:///etc/passwd")]
    [InlineData("not a url")]
    [InlineData("http://user:secret@example.org/data.csv")]
    public async Task OnlyPlainHttpAndHttpsUrlsAreAccepted(string url)
    {
        var response = await UploadUrl(_strict, url);
        response.AssertProblem(400, "url");
    }

    [Fact]
    public async Task AFileAnnouncedOverTheLimitIsTooLarge()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/big.csv");
        response.AssertProblem(413);
    }

    [Fact]
    public async Task AStreamThatRunsPastTheLimitIsTooLarge()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/unbounded.csv");
        response.AssertProblem(413);
    }

    [Fact]
    public async Task ASlowServerRunsOutOfTime()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/slow.csv");
        response.AssertProblem(400, "longer than 2 seconds");
    }

    [Fact]
    public async Task AnErrorStatusFromTheServerIsABadRequest()
    {
        var response = await UploadUrl(_app, $"{ServerUrl}/missing.csv");
        response.AssertProblem(400, "404");
    }

    [Theory]
    [InlineData("93.184.216.34", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.53", false)]
    [InlineData("10.255.255.255", false)]
    [InlineData("172.31.0.1", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.255.1", false)]
    [InlineData("169.254.10.10", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fe80::abcd", false)]
    [InlineData("::", false)]
    [InlineData("2002:0a00:0001::1", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("fd00:ec2::254", false)]
    [InlineData("2001:4860:4860::8888", true)]
    [InlineData("2a00:1450:4001:82b::200e", true)]
    [InlineData("2620:fe::fe", true)]
    [InlineData("2003:e0::1", true)]
    public void ThePublicAddressPolicyAllowsOnlyPublicUnicast(string address, bool allowed) =>
        Assert.Equal(allowed, PublicAddressPolicy.IsPublic(IPAddress.Parse(address)));

    /// <summary>Each IPv6 form that carries an IPv4 address, once around a private or reserved address and once around a public one.</summary>
    public static TheoryData<string, string, string> IPv4InIPv6Forms => new()
    {
        { "IPv4-compatible", "::10.0.0.1", "10.0.0.1" },
        { "IPv4-compatible", "::8.8.8.8", "8.8.8.8" },
        { "IPv4-compatible", "::127.0.0.1", "127.0.0.1" },
        { "IPv4-mapped", "::ffff:192.168.1.1", "192.168.1.1" },
        { "IPv4-mapped", "::ffff:169.254.169.254", "169.254.169.254" },
        { "IPv4-mapped", "::ffff:8.8.8.8", "8.8.8.8" },
        { "IPv4-translated", "::ffff:0:127.0.0.1", "127.0.0.1" },
        { "IPv4-translated", "::ffff:0:10.1.2.3", "10.1.2.3" },
        { "IPv4-translated", "::ffff:0:8.8.8.8", "8.8.8.8" },
        { "6to4", "2002:a9fe:a9fe::1", "169.254.169.254" },
        { "6to4", "2002:7f00:1::", "127.0.0.1" },
        { "6to4", "2002:808:808::1", "8.8.8.8" },
        { "6to4", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "255.255.255.255" },
        { "NAT64 well-known", "64:ff9b::10.0.0.1", "10.0.0.1" },
        { "NAT64 well-known", "64:ff9b::a9fe:a9fe", "169.254.169.254" },
        { "NAT64 well-known", "64:ff9b::8.8.8.8", "8.8.8.8" },
        { "NAT64 local /48, address after the prefix", "64:ff9b:1:a9fe:a9:fe00::", "169.254.169.254" },
        { "NAT64 local /48, address after the prefix", "64:ff9b:1:808:8:800::", "8.8.8.8" },
        { "NAT64 local /48, address in the last 32 bits", "64:ff9b:1::192.168.0.1", "192.168.0.1" },
        { "NAT64 local /48, address in the last 32 bits", "64:ff9b:1::1.1.1.1", "1.1.1.1" },
        { "NAT64 local /48, last address", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "255.255.255.255" },
        { "Teredo, private server and client", "2001:0:a00:1::f5ff:fffe", "10.0.0.1" },
        { "Teredo, loopback server", "2001:0:7f00:1::f5ff:fffe", "127.0.0.1" },
        { "Teredo, public server (RFC 4380 example)", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "65.54.227.120" },
        { "Teredo, last address", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "255.255.255.255" },
    };

    [Theory]
    [MemberData(nameof(IPv4InIPv6Forms))]
    public void EveryIPv6FormThatEmbedsAnIPv4AddressIsRefusedWhateverItEmbeds(string form, string address, string embedded)
    {
        Assert.False(PublicAddressPolicy.IsPublic(IPAddress.Parse(address)), $"{form} {address} (embeds {embedded}) was allowed");
        Assert.False(new PublicAddressPolicy().IsAllowed(IPAddress.Parse(address), 443), $"{form} {address} was allowed on port 443");
    }

    [Theory]
    [InlineData("http://[::8.8.8.8]/data.csv")]
    [InlineData("http://[::10.0.0.1]/data.csv")]
    [InlineData("http://[::ffff:8.8.8.8]/data.csv")]
    [InlineData("http://[::ffff:0:10.0.0.1]/data.csv")]
    [InlineData("http://[::ffff:0:8.8.8.8]/data.csv")]
    [InlineData("http://[2002:7f00:1::1]/data.csv")]
    [InlineData("http://[2002:808:808::1]/data.csv")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")]
    [InlineData("http://[64:ff9b::8.8.8.8]/data.csv")]
    [InlineData("http://[64:ff9b:1::10.0.0.1]/data.csv")]
    [InlineData("http://[64:ff9b:1:808:8:800::]/data.csv")]
    [InlineData("http://[2001:0:a00:1::f5ff:fffe]/data.csv")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/data.csv")]
    public async Task AnIPv6UrlThatEmbedsAnIPv4AddressIsRefusedByThePolicyNotByAFailedConnection(string url)
    {
        var response = await UploadUrl(_strict, url);

        var host = IPAddress.Parse(new Uri(url).Host.Trim('[', ']')).ToString();
        response.AssertProblem(400, $"resolves to {host}, a loopback, private, link-local or reserved address; only public addresses are allowed.");
        Assert.Empty(await _strict.Stores.Datasets.ListAsync(null, default));
    }

    private sealed class LoopbackPortPolicy(int port) : IUrlAddressPolicy
    {
        public bool IsAllowed(IPAddress address, int requestedPort) =>
            (IPAddress.IsLoopback(address) && requestedPort == port) || PublicAddressPolicy.IsPublic(address);
    }
}
