using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// The API's own description through the host: the OpenAPI document, and the docs page in a real browser
/// (Debian's chromium driven by Playwright; Playwright's own browser download is not used).
/// </summary>
public sealed class DocsPageTests(DashAIFixture fixture) : IClassFixture<DashAIFixture>
{
    private const string Chromium = "/usr/bin/chromium";

    private async Task<JsonObject> OpenApiDocumentAsync()
    {
        using var response = await fixture.Client.GetAsync("api/v1/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static List<(string Method, string Path)> Operations(JsonObject document) =>
        [.. from path in document["paths"]!.AsObject()
            from operation in path.Value!.AsObject()
            select (operation.Key, path.Key)];

    [Fact]
    public async Task OpenApiDocumentIsServedWithEveryLoadedHttpFunction()
    {
        var document = await OpenApiDocumentAsync();

        Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>());
        Assert.Equal("/api/v1", document["servers"]![0]!["url"]!.GetValue<string>());
        // Every HTTP function the host loaded from the built worker has its operation, and no operation is extra.
        var loaded = fixture.Harness.HttpRoutes.Count;
        Assert.Equal(loaded, Operations(document).Count);
    }

    [Fact]
    public async Task DocsPageListsEveryOperationAndTriesHealthInABrowser()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (.ci/run installs it).");
        var operations = Operations(await OpenApiDocumentAsync());

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var external = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(fixture.Client.BaseAddress!.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                external.Add(request.Url);
            }
        };

        var response = await page.GotoAsync(new Uri(fixture.Client.BaseAddress!, "api/v1/docs").ToString());
        Assert.Equal(200, response!.Status);
        var blocks = page.Locator(".opblock");
        await Assertions.Expect(blocks).ToHaveCountAsync(operations.Count, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        foreach (var (method, path) in operations)
        {
            var block = page.Locator($".opblock-{method}").Filter(new LocatorFilterOptions { Has = page.Locator($"[data-path='{path}']") });
            Assert.True(await block.CountAsync() == 1, $"{method.ToUpperInvariant()} {path} is not listed once on the docs page");
        }

        var health = page.Locator(".opblock-get").Filter(new LocatorFilterOptions { Has = page.Locator("[data-path='/health']") });
        await health.Locator(".opblock-summary").First.ClickAsync();
        await health.Locator("button.try-out__btn").ClickAsync();
        await health.Locator("button.execute").ClickAsync();
        var status = health.Locator(".live-responses-table tr.response .response-col_status").First;
        await Assertions.Expect(status).ToContainTextAsync("200", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
        await Assertions.Expect(health.Locator(".live-responses-table tr.response .response-col_description").First).ToContainTextAsync("healthy");

        var screenshot = Path.Combine(AppContext.BaseDirectory, "logs", "docs-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        Assert.Empty(external);
    }
}
