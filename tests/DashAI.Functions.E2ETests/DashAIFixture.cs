using DashAI.Functions.E2ETests.Infrastructure;

namespace DashAI.Functions.E2ETests;

/// <summary>The real app: src/DashAI.Functions's build output (same configuration as the tests) under the harness.</summary>
public sealed class DashAIFixture() : HarnessFixture("src/DashAI.Functions", "dashai-functions");
