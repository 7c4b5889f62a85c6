using System.Diagnostics;
using System.Text.Json;
using Azure;
using DashAI.Functions.Storage;
using DashAI.ML;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Http;

/// <summary>
/// The one place that turns exceptions into RFC 7807 problem details. Used by <see cref="ProblemDetailsMiddleware"/>
/// for every HTTP function.
/// </summary>
public static partial class ApiErrors
{
    /// <summary>What a 503 tells the client to wait before retrying.</summary>
    public const int RetryAfterSeconds = 5;

    public static IResult ToResult(Exception exception, ILogger logger)
    {
        switch (exception)
        {
            case ApiException api:
                return Problem(api.StatusCode, api.Title, api.Message);
            case EntityNotFoundException notFound:
                return Problem(404, "Not Found", notFound.Message);
            case DuplicateNameException duplicate:
                return Problem(409, "Conflict", duplicate.Message);
            case DashAI.Functions.Jobs.RefusedTransitionException refused:
                return Problem(409, "Conflict", refused.Message);
            case StaleEntityException stale:
                return Problem(412, "Precondition Failed", stale.Message);
            case StorageContentionException contention:
                LogContention(logger, contention.Message);
                return new RetryAfter(Problem(503, "Service Unavailable", contention.Message), contention.RetryAfterSeconds);
            case InvalidInputException invalid:
                var extensions = new Dictionary<string, object?> { ["errors"] = invalid.Errors };
                if (invalid.Row is { } row)
                {
                    extensions["row"] = row;
                }

                return Problem(400, "Bad Request", invalid.Message, extensions);
            case DashAI.ML.Prediction.ModelExportException export:
                return Problem(422, "Unprocessable Entity", export.Message, new Dictionary<string, object?> { ["step"] = export.Step });
            case JsonException json:
                return Problem(400, "Bad Request", $"Malformed JSON: {json.Message}");
            case BadHttpRequestException bad:
                return Problem(bad.StatusCode, ReasonPhrases.GetReasonPhrase(bad.StatusCode), bad.Message);
            case RequestFailedException { Status: 429 or 503 or 500 } storage when IsThrottling(storage):
                LogThrottled(logger, storage.Status, storage.ErrorCode);
                return new RetryAfter(Problem(503, "Service Unavailable", "Storage is busy; retry shortly."), RetryAfterSeconds);
            case var unreachable when StorageFailures.IsUnreachable(unreachable):
                LogUnreachable(logger, unreachable.GetType().Name, unreachable.Message);
                return new RetryAfter(Problem(503, "Service Unavailable", "Storage is unavailable; retry shortly."), RetryAfterSeconds);
            default:
                var errorId = Activity.Current?.TraceId.ToString() ?? Guid.NewGuid().ToString("N");
                LogUnhandled(logger, exception, errorId);
                return Problem(500, "Internal Server Error",
                    $"An unexpected error occurred. Quote error id {errorId} when reporting it.",
                    new Dictionary<string, object?> { ["error_id"] = errorId });
        }
    }

    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    private static bool IsThrottling(RequestFailedException e) =>
        e.Status is 429 or 503 || e.ErrorCode is "ServerBusy" or "OperationTimedOut" or "InternalError";

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error {ErrorId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string errorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write contention: {Detail}")]
    private static partial void LogContention(ILogger logger, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage is unreachable: {ExceptionType} {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage throttled the request: {Status} {ErrorCode}")]
    private static partial void LogThrottled(ILogger logger, int status, string? errorCode);

    private sealed class RetryAfter(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
