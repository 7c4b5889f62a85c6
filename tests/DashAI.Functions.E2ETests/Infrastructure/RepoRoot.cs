namespace DashAI.Functions.E2ETests.Infrastructure;

/// <summary>The repository root (the folder holding DashAI.Functions.sln) and the build outputs the tests run.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string SharedData => System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, "..", "shared", "data"));

    public static string AppOutput(string projectDirectory) =>
        System.IO.Path.Combine(Path, projectDirectory, "bin", Configuration, "net10.0");

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "DashAI.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find DashAI.Functions.sln above the test binaries.");
    }
}
