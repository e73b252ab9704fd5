using System;

namespace Engram.Storage.Tests
{
    /// <summary>TEMPORARY: being written (starts or finds a PostgreSQL server for the tests).</summary>
    public static class PostgresServer
    {
        public static (string location, Action drop) NewDatabase() => throw new NotImplementedException();
    }
}
