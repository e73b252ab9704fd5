namespace Engram.Core.Storage
{
    /// <summary>
    /// Optional capability of an <see cref="IEngramStorage"/> whose write sessions may hand out a cached configuration
    /// (the file storage reads engram.yaml once per instance): the configuration as it is stored now, parsed afresh, so
    /// an edit under the write lock (Set-EngramRetention, Initialize-EngramStore -Force) starts from what another
    /// process may have written since. A storage whose <see cref="IStorageWrite.Config"/> is read in the session (SQL)
    /// does not need it.
    /// </summary>
    public interface IStoredConfig
    {
        /// <summary>The stored configuration, a new object the caller may change. Call it inside a write session.</summary>
        StoreConfig ReadStoredConfig();
    }
}
