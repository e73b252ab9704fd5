using System;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>The engine's verifier on a SQL store whose rows were damaged by hand: each damaged row is one finding,
    /// and the rest of the store is still checked.</summary>
    public sealed class SqlVerifyTests : IDisposable
    {
        private readonly BackendLocation _location = BackendLocation.Create(BackendKind.Sqlite);

        public void Dispose() => _location.Dispose();

        private IEngramStore Open() => _location.Open();

        private void Exec(string sql)
        {
            var path = _location.Location.Substring(EngramBackends.SqlitePrefix.Length);
            using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                c.Open();
                using (var cmd = c.CreateCommand())
                {
                    cmd.CommandText = sql;
                    Assert.Equal(1, cmd.ExecuteNonQuery());
                }
            }
        }

        [Fact]
        public void A_damaged_memory_row_with_a_history_is_one_MalformedMemory_finding()
        {
            var s = Open();
            s.Set(new SetRequest("shared", "k", "v1") { Actor = "tester", TrackProvenance = true });
            s.Set(new SetRequest("shared", "k", "v2") { Actor = "tester" });
            s.Set(new SetRequest("shared", "other", "fine") { Actor = "tester", TrackProvenance = true });
            Exec("UPDATE memories SET doc = 'value: [unclosed' WHERE ns = 'shared' AND key = 'k'");

            var report = Open().Verify();
            var finding = Assert.Single(report.Findings);
            Assert.Equal("MalformedMemory", finding.Kind);
            Assert.Equal(FindingSeverity.Error, finding.Severity);
            Assert.Equal("k", finding.Key);
            Assert.Equal(2, report.MemoriesChecked);
            Assert.Equal(2, report.HistoriesChecked);
            Assert.Equal(1, report.EntriesChecked); // the damaged memory's history is not walked; the other one is
            Assert.False(report.Healthy);
        }

        [Fact]
        public void A_damaged_branch_record_is_one_MalformedBranch_finding_and_the_other_branches_are_checked()
        {
            var s = Open();
            s.Set(new SetRequest("shared", "k", "v1") { Actor = "tester" });
            s.Fork("shared", "a", null, "tester");
            s.Fork("shared", "b", null, "tester");
            Exec("UPDATE branches SET doc = 'name: [unclosed' WHERE ns = 'shared' AND name = 'a'");

            var report = Open().Verify();
            var finding = Assert.Single(report.Findings);
            Assert.Equal("MalformedBranch", finding.Kind);
            Assert.Equal(s.Root + "#_branches/shared/a", finding.Path);
            Assert.Equal(2, report.BranchesChecked);
        }
    }
}
