@{
    RootModule           = 'Engram.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0c8a52-3d4e-4b7a-9a1e-2c5e8f1b7d40'
    Author               = 'Engram contributors'
    CompanyName          = 'Engram'
    Copyright            = '(c) Engram contributors. MIT License.'
    Description          = 'Engram: namespaced key/value memories for AI agents and automation scripts, stored as YAML with full provenance (who, when, why, what it was before), branches and atomic merges.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # Where Get-Help -Online and the gallery page point; the cmdlet help itself ships in en-US/ (no Update-Help needed).
    HelpInfoURI          = 'https://github.com/engram-project/Engram/tree/main/docs/help'
    FormatsToProcess     = @('Engram.Format.ps1xml')
    CmdletsToExport      = @(
        'Initialize-EngramStore'
        'Get-EngramStore'
        'Set-EngramMemory'
        'Get-EngramMemory'
        'Remove-EngramMemory'
        'Get-EngramProvenance'
        'Get-EngramNamespace'
        'New-EngramFork'
        'Get-EngramBranch'
        'Remove-EngramBranch'
        'Merge-EngramBranch'
        'Test-EngramStore'
        'Restore-EngramMemory'
        'Compare-EngramMemory'
        'Export-EngramProvenance'
        'Update-EngramStore'
        'Optimize-EngramProvenance'
        'Set-EngramRetention'
        'Set-EngramEmbedding'
        'Test-EngramProvenance'
        'Connect-EngramMemory'
        'Get-EngramLineage'
        'Copy-EngramStore'
        'Find-EngramMemory'
        'Invoke-EngramMemoryCommand'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('memory', 'provenance', 'ai', 'agents', 'yaml', 'history', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/engram-project/Engram'
            LicenseUri   = 'https://github.com/engram-project/Engram/blob/main/LICENSE'
            ReleaseNotes = '0.1.0: memories with provenance (who, when, why, prior value; hash-chained, tamper evident), branches and three-way merges, lineage (derived-from, connections, confidence), ranked and semantic search, retention; file, SQLite and PostgreSQL backends; Windows PowerShell 5.1 and PowerShell 7+.'
        }
    }
}
