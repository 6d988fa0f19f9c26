<?php
// The example application: prints the greeting row the database role seeded.
// Its settings are in the JSON file the PHP-FPM pool's environment names (templates/app-config.json.j2).
$config = json_decode(file_get_contents(getenv('APP_CONFIG')), true, 2, JSON_THROW_ON_ERROR);
$db = new mysqli($config['db_host'], $config['db_user'], $config['db_password'], $config['db_name'], $config['db_port']);
$row = $db->query('SELECT message FROM greetings WHERE id = 1')->fetch_row();
file_put_contents(getenv('APP_STORAGE') . '/last-visit', date(DATE_ATOM) . "\n");
header('Content-Type: text/plain');
echo $row[0], "\n";
echo 'version ', trim(file_get_contents(__DIR__ . '/../VERSION')), "\n";
