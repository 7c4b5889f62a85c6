using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.LocalHost.SampleApp;

public sealed class SampleFunctions
{
    public const string JobsQueue = "sample-jobs";
    public const string RawQueue = "sample-raw";
    public const string DoneQueue = "sample-done";

    [Function("GetItem")]
    public static IActionResult GetItem(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id:int}")] HttpRequest request, int id) =>
        new OkObjectResult(new { id, name = $"item-{id}", q = request.Query["q"].ToString(), path = request.Path.Value });

    [Function("Echo")]
    public static async Task<IActionResult> Echo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "echo")] HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        request.HttpContext.Response.Headers["x-echo-length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new ContentResult { Content = body, ContentType = request.ContentType ?? "text/plain", StatusCode = 201 };
    }

    [Function("Boom")]
    public static IActionResult Boom(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "boom")] HttpRequest request) =>
        throw new InvalidOperationException("boom");

    [Function("Problem")]
    public static IResult Problem(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "problem/{code:int}")] HttpRequest request, int code) =>
        Results.Problem(detail: "sample problem", statusCode: code);

    /// <summary>A string-bound queue trigger; messages starting with "fail" always throw.</summary>
    [Function("ProcessJob")]
    public static async Task ProcessJob([QueueTrigger(JobsQueue)] string message, long dequeueCount, string id, CancellationToken cancellationToken)
    {
        if (message.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Failing on purpose (attempt {dequeueCount}).");
        }

        await ReportAsync($"job:{message}:{dequeueCount}:{!string.IsNullOrEmpty(id)}", cancellationToken);
    }

    /// <summary>A QueueMessage-bound trigger: the host sends model binding data for it.</summary>
    [Function("ProcessRaw")]
    public static Task ProcessRaw([QueueTrigger(RawQueue)] QueueMessage message, CancellationToken cancellationToken) =>
        ReportAsync($"raw:{message.Body}:{message.DequeueCount}", cancellationToken);

    private static async Task ReportAsync(string text, CancellationToken cancellationToken)
    {
        var done = new QueueClient(Environment.GetEnvironmentVariable("AzureWebJobsStorage"), DoneQueue,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await done.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await done.SendMessageAsync(text, cancellationToken);
    }
}
