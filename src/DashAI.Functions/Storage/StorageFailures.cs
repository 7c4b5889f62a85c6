using Azure;

namespace DashAI.Functions.Storage;

/// <summary>Tells a storage account that could not be reached or did not answer in time from one that answered with an error.</summary>
public static class StorageFailures
{
    /// <summary>
    /// True for a connection failure (the SDK's status 0, a socket or HTTP error), a request that hit the clients'
    /// network timeout, and the SDK's "retry failed" aggregate of those.
    /// </summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 } => true,
        RequestFailedException => false,
        HttpRequestException or System.Net.Sockets.SocketException or TimeoutException => true,

        // The SDK's network timeout throws a TaskCanceledException wrapping the cancelled send; a cancellation of the
        // caller's own token is thrown bare, before the SDK looks at its timeout.
        OperationCanceledException { InnerException: TimeoutException or OperationCanceledException } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnreachable),
        _ => false,
    };
}
