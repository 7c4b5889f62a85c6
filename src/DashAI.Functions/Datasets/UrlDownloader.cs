using System.Net;
using System.Net.Sockets;
using DashAI.Functions.Http;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Datasets;

/// <summary>
/// Fetches a dataset from a user-given URL without letting it reach inside the network: http/https only; every
/// connection (the first and each redirect hop) is checked against <see cref="IUrlAddressPolicy"/> on the address
/// DNS actually resolved to, at connect time, so a name that re-resolves to a private address is still refused;
/// bounded in size and time.
/// </summary>
public sealed class UrlDownloader : IDisposable
{
    private const int MaxRedirects = 5;

    private readonly HttpClient _client;
    private readonly DatasetOptions _options;

    public UrlDownloader(IUrlAddressPolicy policy, IOptions<DatasetOptions> options)
    {
        _options = options.Value;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ConnectCallback = (context, cancellationToken) => ConnectAsync(policy, context.DnsEndPoint, cancellationToken),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("DashAI-Functions/1.0");
    }

    public async Task<StoredUpload> DownloadAsync(string url, string destinationPath, CancellationToken cancellationToken)
    {
        var uri = CheckUrl(url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.UrlTimeoutSeconds));
        try
        {
            for (var hop = 0; ; hop++)
            {
                using var response = await _client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (IsRedirect(response.StatusCode))
                {
                    if (hop == MaxRedirects || response.Headers.Location is null)
                    {
                        throw new BadRequestException($"The URL redirected more than {MaxRedirects} times, or without a location.");
                    }

                    uri = CheckUrl(new Uri(uri, response.Headers.Location).ToString());
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new BadRequestException($"The URL answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                }

                if (response.Content.Headers.ContentLength > _options.MaxUploadBytes)
                {
                    throw new PayloadTooLargeException($"The file at the URL is larger than the limit of {_options.MaxUploadBytes} bytes.");
                }

                var fileName = response.Content.Headers.ContentDisposition?.FileNameStar
                    ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"')
                    ?? Path.GetFileName(uri.AbsolutePath);
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                return await UploadFiles.SaveAsync(body, destinationPath, _options.MaxUploadBytes, string.IsNullOrEmpty(fileName) ? null : fileName, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BadRequestException($"Downloading the URL took longer than {_options.UrlTimeoutSeconds} seconds.");
        }
        catch (HttpRequestException e) when (e.InnerException is RefusedAddressException refused)
        {
            throw new BadRequestException(refused.Message);
        }
        catch (HttpRequestException e)
        {
            throw new BadRequestException($"The URL could not be fetched: {e.Message}");
        }
    }

    public void Dispose() => _client.Dispose();

    private static Uri CheckUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new BadRequestException("'url' must be an absolute http or https URL.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new BadRequestException("'url' must not contain credentials.");
        }

        return uri;
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static async ValueTask<Stream> ConnectAsync(IUrlAddressPolicy policy, DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new RefusedAddressException($"The URL's host '{endpoint.Host}' does not resolve.");
        }

        // Every address must pass: connecting to "the first public one" would let a name that also
        // resolves to a private address pick its target by timing.
        if (addresses.FirstOrDefault(a => !policy.IsAllowed(a, endpoint.Port)) is { } refused)
        {
            throw new RefusedAddressException(
                $"The URL's host '{endpoint.Host}' resolves to {refused}, a loopback, private, link-local or reserved address; only public addresses are allowed.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class RefusedAddressException(string message) : Exception(message);
}
