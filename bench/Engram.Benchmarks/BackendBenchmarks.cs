using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Engram.Core;
using Engram.Storage.Sql;
using Npgsql;

namespace Engram.Benchmarks
{
    /// <summary>
    /// The main operations side by side on every backend: files, SQLite, and PostgreSQL when
    /// $ENGRAM_BENCH_POSTGRES names a server (an admin connection string; each run creates and drops its own database).
    /// </summary>
    [MemoryDiagnoser]
    public class BackendComparison
    {
        public static IEnumerable<string> BackendNames()
        {
            yield return "file";
            yield return "sqlite";
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ENGRAM_BENCH_POSTGRES"))) yield return "postgres";
        }

        [ParamsSource(nameof(BackendNames))]
        public string Backend = "file";

        [Params(100, 10 * 1024)]
        public int ValueSize;

        private IEngramStore _store = null!;
        private string _dir = "";
        private string? _pgDatabase;
        private string[] _values = Array.Empty<string>();
        private int _n;

        private const int HistoryLength = 1000;
        private const int NamespaceSize = 1000;

        [GlobalSetup]
        public void Setup()
        {
            _dir = BenchEnv.NewTempDir("backends-" + Backend);
            string location;
            switch (Backend)
            {
                case "file": location = Path.Combine(_dir, "store"); break;
                case "sqlite": location = "sqlite:" + Path.Combine(_dir, "store.db"); break;
                default:
                    _pgDatabase = "engram_bench_" + Guid.NewGuid().ToString("N").Substring(0, 12);
                    AdminExec("CREATE DATABASE " + _pgDatabase);
                    location = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ENGRAM_BENCH_POSTGRES")) { Database = _pgDatabase }.ToString();
                    break;
            }
            _store = EngramBackends.Open(location);
            _store.Initialize();
            _values = new[] { BenchEnv.Text(ValueSize, 1), BenchEnv.Text(ValueSize, 2) };
            _store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", _values[1]) { Actor = BenchEnv.Actor });
            _store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", _values[1]) { Actor = BenchEnv.Actor });
            for (int i = 0; i < HistoryLength; i++)
                _store.Set(new SetRequest(BenchEnv.TrackedNs, "history", BenchEnv.Text(100, i)) { Actor = BenchEnv.Actor });
            for (int i = 0; i < NamespaceSize; i++)
                _store.Set(new SetRequest("corpus", "note-" + i.ToString("D4", CultureInfo.InvariantCulture), Words(i)) { Actor = BenchEnv.Actor });
            BenchEnv.Sync();
        }

        /// <summary>Prose with a rare word in one memory of every hundred (what the search looks for).</summary>
        private static string Words(int i) => BenchEnv.Text(200, i) + (i % 100 == 7 ? " zeppelin" : "");

        private static void AdminExec(string sql)
        {
            using (var c = new NpgsqlConnection(Environment.GetEnvironmentVariable("ENGRAM_BENCH_POSTGRES")))
            {
                c.Open();
                using (var cmd = c.CreateCommand()) { cmd.CommandText = sql; cmd.ExecuteNonQuery(); }
            }
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            if (_pgDatabase != null)
            {
                NpgsqlConnection.ClearAllPools();
                AdminExec("DROP DATABASE IF EXISTS " + _pgDatabase + " WITH (FORCE)");
            }
            BenchEnv.DeleteDir(_dir);
        }

        private string Next() => _values[(_n++) & 1];

        [Benchmark(Description = "Set untracked")]
        public void SetUntracked()
        {
            if (_store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", Next()) { Actor = BenchEnv.Actor }).Entry != null) throw new InvalidOperationException();
        }

        [Benchmark(Description = "Set tracked")]
        public void SetTracked()
        {
            if (_store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", Next()) { Actor = BenchEnv.Actor }).Entry == null) throw new InvalidOperationException();
        }

        [Benchmark(Description = "Get (history of 1,000)")]
        public object? Get() => _store.Get(BenchEnv.TrackedNs, "history").Value;

        [Benchmark(Description = "GetProvenance last 10 of 1,000")]
        public int ProvenanceLast10() => _store.GetProvenance(BenchEnv.TrackedNs, "history", last: 10).Count();

        [Benchmark(Description = "Find: 1 word over 1,000 memories, top 10")]
        public int Search() => _store.Search("zeppelin", new[] { "corpus" }, 10).Count;
    }
}
