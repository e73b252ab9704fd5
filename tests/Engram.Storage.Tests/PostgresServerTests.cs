using System;
using Npgsql;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// The test PostgreSQL server itself (<see cref="PostgresServer"/>): with ENGRAM_TEST_POSTGRES set, that server;
    /// otherwise a private one this process starts. Without a server these are skipped, or fail with the reason where
    /// PostgreSQL is required (<see cref="PostgresGate"/>).
    /// </summary>
    [RequiresPostgres]
    public sealed class PostgresServerTests
    {
        [BackendFact]
        public void NewDatabase_IsEmptyUsableAndDroppedAfterwards()
        {
            Assert.True(PostgresServer.Available, PostgresServer.UnavailableReason);
            Assert.Null(PostgresServer.UnavailableReason);

            var (location, drop) = PostgresServer.NewDatabase();
            var name = new NpgsqlConnectionStringBuilder(location).Database!;
            Assert.StartsWith("engram_test_", name);
            Assert.StartsWith("Host=", location);

            using (var c = new NpgsqlConnection(location))
            {
                c.Open();
                Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
                Scalar(c, "CREATE TABLE probe (v text)");
                Scalar(c, "INSERT INTO probe VALUES ('x')");
                Assert.Equal("x", Scalar(c, "SELECT v FROM probe"));
            } // the connection goes back to the pool, open: drop must still work

            drop();

            using (var admin = new NpgsqlConnection(PostgresServer.AdminConnectionString))
            {
                admin.Open();
                using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @n", admin);
                cmd.Parameters.AddWithValue("n", name);
                Assert.Equal(0L, cmd.ExecuteScalar());
            }
        }

        [BackendFact]
        public void NewDatabase_GivesEachCallerItsOwnDatabase()
        {
            var (a, dropA) = PostgresServer.NewDatabase();
            var (b, dropB) = PostgresServer.NewDatabase();
            try { Assert.NotEqual(new NpgsqlConnectionStringBuilder(a).Database, new NpgsqlConnectionStringBuilder(b).Database); }
            finally { dropA(); dropB(); }
        }

        private static object? Scalar(NpgsqlConnection c, string sql)
        {
            using var cmd = new NpgsqlCommand(sql, c);
            return cmd.ExecuteScalar();
        }
    }
}
