using System.Net.Sockets;
using Azure;
using DashAI.Functions.Jobs;
using DashAI.Functions.Training;
using DashAI.ML;

namespace DashAI.Functions.Tests.Training;

public sealed class TransientClassificationTests
{
    public static TheoryData<string, Exception, bool> Cases() => new()
    {
        { "storage unavailable", new RequestFailedException(503, "busy"), true },
        { "storage throttling", new RequestFailedException(429, "slow down"), true },
        { "no response from storage", new RequestFailedException(0, "no response"), true },
        { "blob not found", new RequestFailedException(404, "gone"), false },
        { "forbidden", new RequestFailedException(403, "denied"), false },
        { "network failure", new HttpRequestException("reset"), true },
        { "socket error", new SocketException((int)SocketError.ConnectionReset), true },
        { "timeout", new TimeoutException(), true },
        { "connection reset while reading a blob", new IOException("Unable to read data from the transport connection", new SocketException((int)SocketError.ConnectionReset)), true },
        { "disk full (ENOSPC)", new IOException("No space left on device", 28), false },
        { "disk quota exceeded (EDQUOT)", new IOException("Disk quota exceeded", 122), false },
        { "disk full (Windows)", new IOException("There is not enough space on the disk.", unchecked((int)0x80070070)), false },
        { "truncated split", new EndOfStreamException(), false },
        { "missing local file", new FileNotFoundException("split"), false },
        { "missing local folder", new DirectoryNotFoundException("work"), false },
        { "corrupt data", new InvalidDataException("bad split"), false },
        { "a plain local I/O error", new IOException("sharing violation"), false },
        { "bad input", new InvalidInputException("label missing"), false },
        { "this instance cannot create its work folder", new InstanceFailureException("work folder", new IOException("not a directory")), true },
        { "a bug", new InvalidOperationException("oops"), false },
        { "all inner failures transient", new AggregateException(new HttpRequestException("a"), new TimeoutException()), true },
        { "one inner failure permanent", new AggregateException(new HttpRequestException("a"), new InvalidOperationException()), false },
        { "no inner failures", new AggregateException(), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FailuresAreClassifiedAsTransientOnlyWhenAnotherDeliveryCanSucceed(string what, Exception failure, bool transient) =>
        Assert.True(JobWorker.IsTransient(failure) == transient, $"{what}: expected transient={transient}");
}
