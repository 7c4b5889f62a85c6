using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Http;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Tests.Http;

public sealed class PagingTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ALimitedListIsABareArrayWhoseNextPageIsAnnouncedOnlyInALinkHeader()
    {
        var experiment = await Seed.Experiment(_app);
        var other = await Seed.Experiment(_app);
        var expected = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            expected.Add((await Seed.Run(_app, experiment.Id)).Id);
            await Seed.Run(_app, other.Id);
        }

        var functions = _app.Function<RunFunctions>();
        var seen = new List<long>();
        var query = $"experiment_id={experiment.Id}&limit=3";
        var pages = 0;
        while (query is not null)
        {
            var response = await _app.Invoke(_app.Request("GET", query: query), functions.List);
            response.AssertStatus(200);
            var page = response.Json.AsArray().Select(r => r!["id"]!.GetValue<long>()).ToList();
            Assert.InRange(page.Count, 1, 3);
            seen.AddRange(page);
            pages++;
            query = NextQuery(response);
        }

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task ALastPageThatIsExactlyFullHasNoNextLinkAndAListWithoutLimitIsWhole()
    {
        for (var i = 0; i < 4; i++)
        {
            await Seed.Dataset(_app);
        }

        var functions = _app.Function<DatasetFunctions>();
        var full = await _app.Invoke(_app.Request("GET", query: "limit=4"), functions.List);
        var whole = await _app.Invoke(_app.Request("GET"), functions.List);

        Assert.Equal(4, full.Json.AsArray().Count);
        Assert.Null(NextQuery(full));
        Assert.Equal(4, whole.Json.AsArray().Count);
        Assert.Null(NextQuery(whole));
    }

    [Fact]
    public async Task ExperimentsAndJobsPageToo()
    {
        for (var i = 0; i < 3; i++)
        {
            await Seed.Experiment(_app);
        }

        var first = await _app.Invoke(_app.Request("GET", query: "limit=2"), _app.Function<ExperimentFunctions>().List);
        var second = await _app.Invoke(_app.Request("GET", query: NextQuery(first)), _app.Function<ExperimentFunctions>().List);
        var jobs = await _app.Invoke(_app.Request("GET", query: "status=all&limit=5"), _app.Function<JobFunctions>().List);

        Assert.Equal(2, first.Json.AsArray().Count);
        Assert.Single(second.Json.AsArray());
        Assert.Null(NextQuery(second));
        jobs.AssertStatus(200);
        Assert.Empty(jobs.Json.AsArray());
    }

    [Theory]
    [InlineData("limit=0", "'limit' must be an integer from 1 to 1000")]
    [InlineData("limit=1001", "'limit' must be an integer from 1 to 1000")]
    [InlineData("limit=ten", "'limit' must be an integer from 1 to 1000")]
    [InlineData("limit=-1", "'limit' must be an integer from 1 to 1000")]
    [InlineData("continuation=not-a-token", "'continuation' is not a token this API issued")]
    [InlineData("continuation=djE6LTE", "'continuation' is not a token this API issued")]
    [InlineData("continuation=", "'continuation' is not a token this API issued")]
    public async Task ABadLimitOrContinuationIsABadRequest(string query, string detail)
    {
        var response = await _app.Invoke(_app.Request("GET", query: query), _app.Function<DatasetFunctions>().List);

        response.AssertProblem(400, detail);
    }

    [Fact]
    public void TokensRoundTripAndAreOpaque()
    {
        var token = PageRequest.Encode(12345);

        Assert.Equal(12345, PageRequest.Decode(token));
        Assert.DoesNotContain("12345", token, StringComparison.Ordinal);
    }

    private static string? NextQuery(TestResponse response)
    {
        var link = response.Headers.Link.ToString();
        if (string.IsNullOrEmpty(link))
        {
            return null;
        }

        Assert.EndsWith("; rel=\"next\"", link, StringComparison.Ordinal);
        var target = link[1..link.IndexOf('>', StringComparison.Ordinal)];
        return QueryString.FromUriComponent(target[target.IndexOf('?', StringComparison.Ordinal)..]).Value![1..];
    }
}
