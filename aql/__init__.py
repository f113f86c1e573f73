"""aql's wire protocol: clients for the USIM gateway and the despatch endpoint, their result
codes, and a simulator of both. No Django here: this package only knows HTTP and the spec."""
