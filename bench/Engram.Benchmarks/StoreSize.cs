using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Storage.Sql;
using Npgsql;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Stores of a given size for the per-write cost against store size (issue 16, target 1): <c>n</c> untracked
    /// ~100-byte memories in one namespace (<see cref="BenchEnv.UntrackedNs"/>, keys size-000001…), loaded in one
    /// transaction through the backend's own Import (the rows are exactly what Engram writes), plus the key every
    /// measured Set overwrites.
    /// </summary>
    public static class StoreSize
    {
        public const string Key = "size-probe";

        public static string MemoryKey(int i) => "size-" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>The backends measured: file, SQLite, and PostgreSQL when $ENGRAM_BENCH_POSTGRES names a server (an admin connection string).</summary>
        public static IEnumerable<string> Backends()
        {
            yield return "file";
            yield return "sqlite";
            if (!string.IsNullOrWhiteSpace(AdminConnection)) yield return "postgres";
        }

        private static string? AdminConnection => Environment.GetEnvironmentVariable("ENGRAM_BENCH_POSTGRES");

        private static void AdminExec(string sql)
        {
            using (var c = new NpgsqlConnection(AdminConnection))
            {
                c.Open();
                using (var cmd = c.CreateCommand()) { cmd.CommandText = sql; cmd.ExecuteNonQuery(); }
            }
        }

        /// <summary>
        /// Opens a new store of <paramref name="backend"/> ("file", "sqlite" or "postgres") under <paramref name="dir"/> (PostgreSQL: a
        /// new database, dropped by the action added to <paramref name="cleanup"/>) holding <paramref name="n"/> memories.
        /// </summary>
        public static IEngramStore Build(string backend, string dir, int n, List<Action> cleanup) => Build(backend, dir, n, cleanup, out _);

        /// <param name="location">Where the store is (PostgreSQL: its connection string, password included).</param>
        public static IEngramStore Build(string backend, string dir, int n, List<Action> cleanup, out string location)
        {
            if (backend == "postgres")
            {
                var db = "engram_bench_size_" + Guid.NewGuid().ToString("N").Substring(0, 12);
                AdminExec("CREATE DATABASE " + db);
                cleanup.Add(() => { NpgsqlConnection.ClearAllPools(); AdminExec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); });
                location = new NpgsqlConnectionStringBuilder(AdminConnection) { Database = db }.ToString();
            }
            else location = backend == "sqlite" ? "sqlite:" + Path.Combine(dir, "store.db") : Path.Combine(dir, "store");
            var store = EngramBackends.Open(location);
            var now = DateTime.UtcNow;
            IEnumerable<MemoryRecord> Memories()
            {
                yield return new MemoryRecord(Guid.NewGuid().ToString("N"), BenchEnv.UntrackedNs, Key, BenchEnv.Text(100, 0), Array.Empty<string>(), 1, now, now);
                for (int i = 1; i <= n; i++)
                    yield return new MemoryRecord(Guid.NewGuid().ToString("N"), BenchEnv.UntrackedNs, MemoryKey(i), BenchEnv.Text(100, i), Array.Empty<string>(), 1, now, now);
            }
            var sw = Stopwatch.StartNew();
            store.Import(new StoreExport(new StoreConfig(), Memories, () => Enumerable.Empty<IReadOnlyList<ProvenanceEntry>>(), () => Enumerable.Empty<BranchExport>(), n + 1, 0));
            if (n > 0) Console.WriteLine($"  ({backend}: {n:N0} memories imported in {sw.Elapsed.TotalSeconds:0.0} s)");
            BenchEnv.Sync();
            return store;
        }
    }
}
