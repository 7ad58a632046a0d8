//! Free loopback ports.

use std::net::TcpListener;

/// `n` distinct ports that were free a moment ago: all bound at once, then released, so
/// they differ from each other (two separate "free port" calls can return the same one).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound address").port())
        .collect()
}

/// One free port.
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_of_one_call_differ() {
        let p = super::free_ports(20);
        let mut q = p.clone();
        q.sort_unstable();
        q.dedup();
        assert_eq!(q.len(), p.len(), "{p:?}");
    }
}
