# Engram quick start: memories with provenance, branches and merges.
# With only the .NET SDK (pwsh comes from the repository's tool manifest):
#   dotnet tool restore && dotnet pwsh ./build.ps1 -Demo
# In pwsh: ./examples/quickstart.ps1 uses the Engram module already imported, else the one built at out/Engram,
# else the installed one (Install-PSResource Engram). It writes to a fresh store in the temp folder.
param([string] $Store = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'engram-quickstart-' + [guid]::NewGuid().ToString('N').Substring(0, 8)))

$ErrorActionPreference = 'Stop'
if (-not (Get-Module Engram)) {
    $built = Join-Path $PSScriptRoot '../out/Engram/Engram.psd1'
    if (Test-Path -LiteralPath $built) { Import-Module $built } else { Import-Module Engram }
}
"== A new store at $Store"
Initialize-EngramStore -Store $Store | Out-Default

"== Remember things. 'shared' and 'longterm' keep provenance by default; 'session' does not."
Set-EngramMemory -Store $Store -Namespace shared -Key deploy-target -Value 'staging' -Actor alice -Reason 'first environment'
Set-EngramMemory -Store $Store -Namespace shared -Key deploy-target -Value 'production' -Actor bob -Reason 'go live'
Set-EngramMemory -Store $Store -Namespace longterm -Key service -Actor alice -Value ([pscustomobject]@{
    name  = 'billing'
    port  = 8080
    hosts = @('web-1', 'web-2')
    since = [datetime]'2026-01-15'
})
Set-EngramMemory -Store $Store -Namespace session -Key scratch -Value 42

Get-EngramMemory -Store $Store | Out-Default

"== Values keep their types: port is an [int], hosts a list, since a [datetime]"
$service = (Get-EngramMemory -Store $Store -Namespace longterm -Key service).Value
"port + 1 = $($service.port + 1); hosts: $($service.hosts.Count); since: $($service.since.GetType().Name)"

"== Who changed deploy-target, when, why, and what it said before"
Get-EngramProvenance -Store $Store -Namespace shared -Key deploy-target | Out-Default

"== Fork 'shared' into a branch, try an alternative there, and merge it back"
New-EngramFork -Store $Store -Namespace shared -Branch canary -Actor carol -Reason 'try a canary rollout' | Out-Default
Set-EngramMemory -Store $Store -Namespace shared -Key deploy-target -Value 'canary' -Branch canary -Actor carol
"main still says: $((Get-EngramMemory -Store $Store shared deploy-target).Value); canary says: $((Get-EngramMemory -Store $Store shared deploy-target -Branch canary).Value)"
Merge-EngramBranch -Store $Store -Namespace shared -Branch canary -WhatIf | ForEach-Object { "merge plan: merged [$($_.Merged -join ', ')], conflicts [$($_.Conflicted -join ', ')]" }
$result = Merge-EngramBranch -Store $Store -Namespace shared -Branch canary -Actor carol -Reason 'canary went well'
"merged: $($result.Merged -join ', ')"
Get-EngramProvenance -Store $Store -Namespace shared -Key deploy-target -Last 2 | Out-Default

"== The story of deploy-target: who did what, on which branch, and why"
Export-EngramProvenance -Store $Store -Namespace shared -Key deploy-target -Format Tree

"== Bad input is refused with a stable error id, and the store is left as it was"
try { Set-EngramMemory -Store $Store -Namespace _provenance -Key x -Value 1 } catch { "refused: $($_.FullyQualifiedErrorId)" }
try { Set-EngramMemory -Store $Store -Namespace shared -Key deploy-target -Value 'x' -TrackProvenance:$false } catch { "refused: $($_.FullyQualifiedErrorId)" }

"== Check the whole store: files parse, hash chains verify"
Test-EngramStore -Store $Store | ForEach-Object { "healthy: $($_.Healthy); memories: $($_.MemoriesChecked); history entries: $($_.EntriesChecked)" }
