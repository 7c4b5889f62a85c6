using Azure;
using DashAI.Functions.Http;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Http;

public sealed class ApiErrorsTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task AnUnexpectedErrorIsA500WithAnIdThatAppearsInTheLogAndNoStackTrace()
    {
        var response = await _app.Invoke(_app.Request("GET"), (_, _) => throw new InvalidOperationException("secret internals"));

        response.AssertProblem(500);
        var errorId = response.Json["error_id"]!.GetValue<string>();
        Assert.Contains(errorId, response.Json["detail"]!.GetValue<string>());
        Assert.DoesNotContain("secret internals", response.Body);
        Assert.DoesNotContain(" at ", response.Body);
        Assert.Contains(TestLog.Provider.Entries, e => e.Message.Contains(errorId) && e.Exception is InvalidOperationException);
    }

    [Theory]
    [InlineData(503, "ServerBusy")]
    [InlineData(429, null)]
    public async Task StorageThrottlingIsA503WithRetryAfter(int status, string? code)
    {
        var response = await _app.Invoke(_app.Request("GET"), (_, _) => throw new RequestFailedException(status, "busy", code, null));

        response.AssertProblem(503);
        Assert.False(string.IsNullOrEmpty(response.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task InvalidInputListsEveryProblem()
    {
        var response = await _app.Invoke(_app.Request("GET"), (_, _) => throw new DashAI.ML.InvalidInputException(["first problem", "second problem"], row: 7));

        response.AssertProblem(400, "first problem");
        Assert.Equal(2, response.Json["errors"]!.AsArray().Count);
        Assert.Equal(7, response.Json["row"]!.GetValue<long>());
    }

    [Fact]
    public async Task TooLargeAndUnsupportedMediaTypeKeepTheirStatus()
    {
        var tooLarge = await _app.Invoke(_app.Request("GET"), (_, _) => throw new PayloadTooLargeException("big"));
        var media = await _app.Invoke(_app.Request("GET"), (_, _) => throw new UnsupportedMediaTypeException("xml"));

        tooLarge.AssertProblem(413, "big");
        media.AssertProblem(415, "xml");
    }
}
