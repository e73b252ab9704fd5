using System;
using Engram.Core;
using Engram.Core.Engine;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// An Engram store in a SQL database (SQLite or PostgreSQL, see <see cref="SqlDialect"/>): the engine over the SQL
    /// storage (<see cref="SqlStorage"/>). Memories and their provenance live in separate tables (<c>memories</c>,
    /// <c>_provenance</c>, linked by memory id); an entry is stored as the same YAML document the file store writes, with
    /// the same hash chain. Every change, however many rows it touches, is one SQL transaction taken under the store's
    /// write lock, so a crash or an error leaves nothing half done; readers never wait for writers.
    /// </summary>
    public sealed class SqlEngramStore : EngramEngine
    {
        /// <summary>The newest table layout this build knows (engram_meta 'schema'): 2 = SQLite's full-text index keyed
        /// by row id (1: found by namespace and key, a scan per write). An older layout is brought up to date by the
        /// first write (<see cref="SqlDialect.UpgradeLayout"/>).</summary>
        public const int SchemaVersion = 2;

        private readonly SqlStorage _storage;

        public SqlEngramStore(SqlDialect dialect, EngramStoreOptions? options = null) : this(new SqlStorage(dialect, options)) { }

        private SqlEngramStore(SqlStorage storage) : base(storage)
        {
            _storage = storage;
        }

        public SqlDialect Dialect => _storage.Dialect;

        /// <summary>
        /// Test hook: called inside each write transaction after every statement ("exec") and before the commit
        /// ("before-commit"). Throwing <see cref="SimulatedCrashException"/> there leaves the transaction uncommitted,
        /// as a process that dies mid-transaction would.
        /// </summary>
        internal Action<string>? FaultHook
        {
            get => _storage.FaultHook;
            set => _storage.FaultHook = value;
        }
    }
}
