// Command etcd is etcd's own server main (go.etcd.io/etcd/v3, the root module, is not served here).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
