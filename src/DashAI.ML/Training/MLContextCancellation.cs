using System.Reflection;
using Microsoft.ML;

namespace DashAI.ML.Training;

/// <summary>
/// Stops a running fit. ML.NET 5 keeps <c>MLContext.CancelExecution</c> internal (its public wrapper
/// lives in Microsoft.ML.Experimental, which is not a dependency here), so it is called by
/// reflection; trainers then throw <see cref="OperationCanceledException"/> at their next check.
/// The lookup runs once and fails loudly if a future ML.NET renames the method.
/// </summary>
internal static class MLContextCancellation
{
    private static readonly MethodInfo CancelExecutionMethod =
        typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public, Type.EmptyTypes)
        ?? throw new MissingMethodException(nameof(MLContext), "CancelExecution");

    public static CancellationTokenRegistration CancelOn(this MLContext mlContext, CancellationToken cancellationToken) =>
        cancellationToken.Register(() => CancelExecutionMethod.Invoke(mlContext, null));
}
