using Engram.Storage.Sql;

namespace Engram.Storage.Tests
{
    /// <summary>The contract on the YAML file store: the reference implementation.</summary>
    public sealed class FileBackendContract : BackendContract
    {
        protected override BackendKind Kind => BackendKind.File;
    }

    /// <summary>The contract on SQLite (a temporary database file per test).</summary>
    public sealed class SqliteBackendContract : BackendContract
    {
        protected override BackendKind Kind => BackendKind.Sqlite;
    }

    /// <summary>
    /// The contract on PostgreSQL (a fresh database per test, from <see cref="PostgresServer"/>). Skipped with the reason
    /// when no server is available, except in CI (CI=true) or with ENGRAM_REQUIRE_POSTGRES=1, where that fails.
    /// </summary>
    [RequiresPostgres]
    public sealed class PostgresBackendContract : BackendContract
    {
        protected override BackendKind Kind => BackendKind.Postgres;
    }

    /// <summary>
    /// The contract on the engine over the in-memory storage of the engine's unit tests: a storage implementation plus
    /// this subclass is all a backend needs. Transfers go to the file store; the test that opens the store from other
    /// processes is skipped (the store lives in this process).
    /// </summary>
    [InProcessOnly]
    public sealed class InMemoryBackendContract : BackendContract
    {
        protected override BackendKind Kind => BackendKind.Sqlite; // (only for OtherKind: transfers go to the file store)

        protected override string BackendName => "memory";

        protected override BackendLocation NewLocation() => Track(BackendLocation.InMemory(BackendKind.Sqlite));
    }
}
