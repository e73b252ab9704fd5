namespace Engram.Core.Storage
{
    /// <summary>
    /// An optional capability of an <see cref="IEngramStorage"/> whose full-text index is derived data kept beside the
    /// memories (the file store's <c>_index/</c>): the verifier (Test-EngramStore) asks it to compare the index with the
    /// memories. A disagreement is a finding (<c>SearchIndexMismatch</c>: searches read every memory meanwhile, never a
    /// wrong result for a damaged index); with repair the index is rebuilt from the memories. SQL indexes are kept by the
    /// database in the same transaction as the rows, so the SQL storage has no such check.
    /// </summary>
    public interface ISearchIndexCheck
    {
        /// <summary>Adds a finding per index that disagrees with the memories. The caller must not hold the write lock:
        /// a disagreement is checked again under it, briefly (a write in progress is not damage), and with
        /// <paramref name="repair"/> rebuilt there.</summary>
        void CheckSearchIndex(StoreReport report, bool repair);
    }
}
