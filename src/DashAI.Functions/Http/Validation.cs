namespace DashAI.Functions.Http;

/// <summary>Field rules shared by several endpoints.</summary>
public static class Validation
{
    public const int MaxNameLength = 200;

    public static string Name(string value, string field = "name")
    {
        var name = value.Trim();
        if (name.Length == 0)
        {
            throw new BadRequestException($"'{field}' must not be empty.");
        }

        if (name.Length > MaxNameLength)
        {
            throw new BadRequestException($"'{field}' must be at most {MaxNameLength} characters.");
        }

        if (name.Any(char.IsControl))
        {
            throw new BadRequestException($"'{field}' must not contain control characters.");
        }

        return name;
    }

    public static string TaskName(string value)
    {
        var task = value.Trim();
        if (task.Length == 0)
        {
            throw new BadRequestException("'task_name' must not be empty.");
        }

        return task;
    }
}
