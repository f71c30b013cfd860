#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Removes the Silo service and binaries. Data under ProgramData (images,
  metadata, logs) is kept unless -RemoveData is given.
.DESCRIPTION
  Stopping silod does not stop containers (each is owned by its silo-shim);
  drain the node with kubectl first if its pods must go too.
#>
[CmdletBinding()]
param(
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'silo'),
    [string]$DataDir = (Join-Path $env:ProgramData 'silo'),
    [switch]$RemoveData
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$silod = Join-Path $InstallDir 'silod.exe'
if (Test-Path -LiteralPath $silod) {
    & $silod --unregister-service
    if ($LASTEXITCODE -ne 0) { throw "silod --unregister-service failed with exit code $LASTEXITCODE" }
    Write-Host 'Service "silo" and its event log source stopped and removed'
} elseif ($null -ne (Get-Service -Name 'silo' -ErrorAction SilentlyContinue)) {
    # The binary is gone but the service is registered: remove it with sc.exe.
    Stop-Service -Name 'silo' -ErrorAction SilentlyContinue
    & sc.exe delete silo | Out-Null
    Remove-Item -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\silo' -Recurse -ErrorAction SilentlyContinue
    Write-Host 'Service "silo" and its event log source removed with sc.exe'
}

if (Test-Path -LiteralPath $InstallDir) {
    Remove-Item -LiteralPath $InstallDir -Recurse -Force
    Write-Host "Removed $InstallDir"
}

if ($RemoveData) {
    if (Test-Path -LiteralPath $DataDir) {
        Remove-Item -LiteralPath $DataDir -Recurse -Force
        Write-Host "Removed $DataDir"
    }
} else {
    Write-Host "Kept $DataDir (pass -RemoveData to delete images, metadata and logs)"
}
