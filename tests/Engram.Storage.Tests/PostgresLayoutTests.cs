using System;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Npgsql;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Table layout 1 → 2 on PostgreSQL changes nothing but the layout number (its index was never scanned per write).</summary>
    [RequiresPostgres]
    public sealed class PostgresLayoutTests : IDisposable
    {
        private readonly BackendLocation _location = BackendLocation.Create(BackendKind.Postgres);

        public void Dispose() => _location.Dispose();

        private object? Exec(string sql)
        {
            using (var c = new NpgsqlConnection(_location.Location))
            {
                c.Open();
                using (var cmd = c.CreateCommand()) { cmd.CommandText = sql; return cmd.ExecuteScalar(); }
            }
        }

        [BackendFact]
        public void Layout1Store_IsBroughtToLayout2ByItsFirstWrite_AndSearchesTheSame()
        {
            var s = _location.Open();
            s.Initialize();
            s.Set(new SetRequest("projects", "deploy-runbook", "Deploy the cluster with the canary first.") { Actor = "tester" });
            s.Set(new SetRequest("shared", "cluster-notes", "three nodes") { Actor = "tester" });
            Exec("UPDATE engram_meta SET value = '1' WHERE name = 'schema'");
            var before = _location.Open().Search("cluster").Select(h => h.Key + " " + h.Score).ToList();

            _location.Open().Set(new SetRequest("session", "other", "unrelated") { Actor = "tester" });
            Assert.Equal("2", Exec("SELECT value FROM engram_meta WHERE name = 'schema'"));
            Assert.Equal(before, _location.Open().Search("cluster").Select(h => h.Key + " " + h.Score).ToList());
            Assert.True(_location.Open().Verify().Healthy);
        }
    }
}
