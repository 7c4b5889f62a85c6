namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>Finds the repository root (the folder holding DashAI.Functions.sln) and the shared reference data beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string FunctionsOutput => Path.Combine(Root, "src", "DashAI.Functions", "bin", Configuration, "net10.0");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DashAI.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find DashAI.Functions.sln above the test binaries.");
    }
}
