namespace DashAI.Functions.Http;

/// <summary>An error the API reports with a specific status code; mapped in one place (<see cref="ApiErrors"/>).</summary>
public class ApiException(int statusCode, string title, string detail) : Exception(detail)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;
}

public sealed class NotFoundException(string detail) : ApiException(404, "Not Found", detail);

public sealed class ConflictException(string detail) : ApiException(409, "Conflict", detail);

public sealed class PreconditionFailedException(string detail) : ApiException(412, "Precondition Failed", detail);

public sealed class BadRequestException(string detail) : ApiException(400, "Bad Request", detail);

public sealed class PayloadTooLargeException(string detail) : ApiException(413, "Payload Too Large", detail);

public sealed class UnsupportedMediaTypeException(string detail) : ApiException(415, "Unsupported Media Type", detail);
