using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Http;

/// <summary>
/// Catches what an HTTP function throws and answers with problem details instead (see <see cref="ApiErrors"/>).
/// Non-HTTP functions (the queue trigger) rethrow, so the host's retry and poison handling apply.
/// </summary>
public sealed class ProblemDetailsMiddleware(ILogger<ProblemDetailsMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception exception) when (context.GetHttpContext() is not null)
        {
            // The worker may wrap what the function threw.
            var cause = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
            context.GetInvocationResult().Value = ApiErrors.ToResult(cause, logger);
        }
    }
}
