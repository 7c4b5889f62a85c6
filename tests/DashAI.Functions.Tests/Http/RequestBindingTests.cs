using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.Experiments;
using DashAI.Functions.Http;
using DashAI.Functions.Runs;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Tests.Http;

/// <summary>The one binder of request records: the thesis query form and the JSON body give the same record.</summary>
public sealed class RequestBindingTests
{
    private static HttpRequest Request(string? query = null, string? body = null)
    {
        var context = new DefaultHttpContext();
        if (query is not null)
        {
            context.Request.QueryString = new QueryString("?" + query);
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }

        return context.Request;
    }

    [Fact]
    public async Task TheQueryFormAndTheJsonBodyBindToTheSameRecord()
    {
        var fromQuery = await RequestInput.BindAsync<ExperimentCreate>(Request("dataset_id=7&task_name=TabularClassificationTask&name=%20e%20"), CancellationToken.None);
        var fromBody = await RequestInput.BindAsync<ExperimentCreate>(Request(body: """{"dataset_id": 7, "task_name": "TabularClassificationTask", "name": "e"}"""), CancellationToken.None);

        Assert.Equal(new ExperimentCreate(7, "TabularClassificationTask", "e"), fromQuery);
        Assert.Equal(fromQuery, fromBody);
    }

    [Fact]
    public async Task AnIntFieldBindsAndRefusesAnIntegerOutsideItsRange()
    {
        var given = await RequestInput.BindAsync<DashAI.Functions.Explainers.ExplainerPlotQuery>(Request("row=3"), CancellationToken.None);
        var absent = await RequestInput.BindAsync<DashAI.Functions.Explainers.ExplainerPlotQuery>(Request(), CancellationToken.None);
        var tooLarge = await Assert.ThrowsAsync<BadRequestException>(() =>
            RequestInput.BindAsync<DashAI.Functions.Explainers.ExplainerPlotQuery>(Request("row=3000000000"), CancellationToken.None));

        Assert.Equal(3, given.Row);
        Assert.Null(absent.Row);
        Assert.Equal("'row' must be an integer from -2147483648 to 2147483647, got 3000000000.", tooLarge.Message);
    }

    [Fact]
    public void FieldsAreTheSnakeCaseNamesOfTheRecordThenItsAliases()
    {
        Assert.Equal(["experiment_id", "model_name", "name", "description", "parameters", "seed", "optimizer"], RequestInput.FieldsOf<RunCreate>());
        Assert.Equal(["run_name", "name", "run_description", "description", "parameters", "optimizer"], RequestInput.FieldsOf<RunUpdate>());
    }

    [Fact]
    public async Task AnAliasBindsLikeTheFieldsOwnName()
    {
        var update = await RequestInput.BindAsync<RunUpdate>(Request("name=r&description=d"), CancellationToken.None);

        Assert.Equal(new RunUpdate("r", "d", null, null), update);
    }

    [Theory]
    [InlineData("task_name=T&name=e", null, "'dataset_id' is required.")]
    [InlineData("dataset_id=x&task_name=T&name=e", null, "'dataset_id' must be an integer, got 'x'.")]
    [InlineData(null, """{"dataset_id": "7", "task_name": "T", "name": "e"}""", "'dataset_id' must be an integer.")]
    [InlineData("dataset_id=1", """{"dataset_id": 1, "task_name": "T", "name": "e"}""", "'dataset_id' is given more than once.")]
    [InlineData(null, """{"dataset_id": 1, "task_name": "T", "nme": "e"}""", "did you mean 'name'?")]
    [InlineData(null, """{"dataset_id": 1, "task_name": "T", "name": " "}""", "'name' is required.")]
    public async Task ABadFieldIsA400NamingIt(string? query, string? body, string expected)
    {
        var error = await Assert.ThrowsAsync<BadRequestException>(() => RequestInput.BindAsync<ExperimentCreate>(Request(query, body), CancellationToken.None));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheThesisBodyOfARunIsItsParametersField()
    {
        var input = await RequestInput.ReadUncheckedAsync(Request("experiment_id=3&model_name=M&name=r", """{"max_depth": 4}"""), CancellationToken.None);

        var create = input.WithBodyAs("parameters", "not an object").Bind<RunCreate>();

        Assert.Equal(3, create.ExperimentId);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["max_depth"] = 4 }, create.Parameters));
        Assert.Null(create.Seed);
    }
}
