using System;
using System.IO;
using Engram.Core;
using Engram.Core.Storage;
using Engram.Core.Tests.Engine;
using Engram.Storage.Sql;

namespace Engram.Storage.Tests
{
    /// <summary>The storage-level contract (<see cref="StorageContract"/>) on the file storage.</summary>
    public sealed class FileStorageContractTests : StorageContract
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "engram-storage-contract", Guid.NewGuid().ToString("N"));

        protected override IEngramStorage CreateStorage() => new FileStorage(_root);

        protected override void Dispose(bool disposing)
        {
            try { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); }
            catch (IOException) { }
            base.Dispose(disposing);
        }
    }

    /// <summary>The storage-level contract on the SQL storage (one fresh database per test).</summary>
    public abstract class SqlStorageContractTests : StorageContract
    {
        private BackendLocation? _location;

        protected abstract BackendKind Kind { get; }

        protected override bool SessionSeesOwnChanges => true;

        protected override IEngramStorage CreateStorage()
        {
            _location = BackendLocation.Create(Kind);
            var l = _location.Location;
            return new SqlStorage(Kind == BackendKind.Sqlite ? new SqliteDialect(EngramBackends.SqlitePath(l)) : (SqlDialect)new PostgresDialect(l));
        }

        protected override void Dispose(bool disposing)
        {
            _location?.Dispose();
            base.Dispose(disposing);
        }
    }

    public sealed class SqliteStorageContractTests : SqlStorageContractTests
    {
        protected override BackendKind Kind => BackendKind.Sqlite;
    }

    [RequiresPostgres]
    public sealed class PostgresStorageContractTests : SqlStorageContractTests
    {
        protected override BackendKind Kind => BackendKind.Postgres;
    }
}
